"""``python -m chainpb.simulate --out resources/example``."""

from chainpb.simulate.generate import main

raise SystemExit(main())
