from iamgate.cli import run

run()
