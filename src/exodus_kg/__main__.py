"""`python -m exodus_kg` runs the `exodus` command line."""

from exodus_kg.entry_point import main

if __name__ == "__main__":
    main()
