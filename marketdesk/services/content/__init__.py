"""Content edited in the console's «Управление» (issue 16): promotions news (``news``),
knowledge-base articles and operator hints with their versions and the evaluation gate
(``articles``, ``evaluation``), answer templates (``templates``)."""
