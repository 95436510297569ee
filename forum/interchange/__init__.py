"""Stack Exchange data dumps: importing them into the forum and exporting it.

``sedump`` reads and writes the dump format (one ``<row .../>`` per line in
Posts.xml, Users.xml, ...); ``importer`` and ``exporter`` are the services the
``flask --app forum import/export stackexchange`` commands call.
"""
