"""Records around the funnel: customers and their contacts, declared like funnels (docs/records.md).

``model`` loads and compiles the declared record types, ``check`` checks their files,
``customers`` is the service every change to a customer goes through, ``contacts`` the contacts
of a customer, ``duplicates`` the match keys, ``pool`` the customer pool (公海).
"""
