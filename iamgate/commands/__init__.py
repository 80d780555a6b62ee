"""One module per `iamgate` subcommand, each with `configure(parser)` and `run(args) -> int`;
`iamgate.cli` imports only the chosen one. The deploy commands are `iamgate.pipeline.commands`."""
