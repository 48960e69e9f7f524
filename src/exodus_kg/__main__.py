"""`python -m exodus_kg` runs the `exodus` command line."""

from .entry_point import main

if __name__ == "__main__":
    main()
