import sys

from oxy.run import main

sys.exit(main(sys.argv[1:]))
