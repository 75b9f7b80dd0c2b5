"""`python -m newsdesk`: the same command line as `newsdesk`."""

from newsdesk.index.cli import main

main()
