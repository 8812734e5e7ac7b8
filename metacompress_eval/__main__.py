import sys

try:  # importing the command line takes a moment: Ctrl-C then ends with one line, as in main()
    from .cli import main
except KeyboardInterrupt:
    print("metacompress: interrupted while starting; nothing was written", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
