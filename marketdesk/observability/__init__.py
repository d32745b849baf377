"""What the people who run marketdesk watch: Prometheus metrics (:mod:`.metrics`), log lines
without personal data, in JSON or plain text (:mod:`.logs`), and a request id carried from
the HTTP request or the socket into every log line of its work (:mod:`.requests`,
:mod:`.middleware`).

A layer of its own between the edges (``api``, ``channels``, ``workers``, which feed it) and
``services`` (whose writer it reads); ``server.py`` wires it."""
