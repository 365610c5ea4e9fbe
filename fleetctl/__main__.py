from fleetctl.cli.main import entry

raise SystemExit(entry())
