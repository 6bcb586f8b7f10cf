from reconciler.commands.cli import main

raise SystemExit(main())
