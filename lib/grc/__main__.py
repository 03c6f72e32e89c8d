from grc.cli import main

raise SystemExit(main())
