"""``python -m sim``: the ``sim`` command without its console script."""

from sim.interfaces.cli import main

if __name__ == "__main__":
    main()
