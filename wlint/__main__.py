from wlint.cli import main

raise SystemExit(main())
