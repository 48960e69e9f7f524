"""What every command that runs SPARQL may be asked for: the output formats and the default time and
memory limits.

Plain constants, so that the click-free parser of `exodus query` (entry_point.py) and the click CLI
read the same values without importing pyoxigraph.
"""

OUTPUT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown", "ttl", "nt")

# What a query may take unless the caller says otherwise: the whole graph is some 10,000 triples, so
# an honest query needs a fraction of this, and a runaway one (a cartesian product) stops with a
# message instead of filling the machine's memory until the process is killed.
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT_MB = 1024
