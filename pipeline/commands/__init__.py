"""The deploy subcommands (`plan`, `apply`, `drift`, `audit`), each with `configure(parser)` and
`run(args) -> int`, and the options they share."""
