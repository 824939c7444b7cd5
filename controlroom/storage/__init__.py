"""Storage: the schema and migrations, the one writer thread, reads for graphs and reports,
retention."""
