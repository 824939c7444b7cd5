"""`python -m controlroom.cli`: the same as the `controlroom` command."""

import sys

from controlroom.cli.main import main

sys.exit(main())
