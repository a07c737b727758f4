import sys

from botdeck.cli import main

sys.exit(main())
