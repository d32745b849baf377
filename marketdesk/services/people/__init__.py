"""People and structure (issue 16): the operators' second factor, the business-hours
calendar with its exceptions, the lines' hours and the queues' deadlines. The staff accounts
themselves are :mod:`marketdesk.services.operators`'."""
