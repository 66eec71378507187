"""Records around the funnel: customers and their contacts, declared like funnels (docs/records.md).

``model`` loads and compiles the declared record types, ``check`` checks their files,
``edit`` saves one from the designer and loads the files again while running,
``customers`` is the service every change to a customer goes through, ``contacts`` the contacts
of a customer, ``duplicates`` the match keys, ``pool`` the customer pool (公海).
"""
