import sys

from botdeck.commands.cli import main

sys.exit(main())
