import sys

from iamgate.cli import main

sys.exit(main())
