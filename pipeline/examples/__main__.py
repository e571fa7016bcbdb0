"""``python -m pipeline.examples``: the same as ``python -m pipeline generate``."""
import sys

from pipeline.examples import main

sys.exit(main())
