from fleetctl.cli.main import main

raise SystemExit(main())
