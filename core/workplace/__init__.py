"""DingTalk, WeCom and Feishu as the place the team already works: sign-in with the work
account, the org chart brought into teams and users, and the platforms' access tokens.

One module per concern: the ``[workplace.*]`` settings (``config``), the HTTP client every
platform shares and the tokens it caches in the store (``client``, ``tokens``; the rows every
process shares, ``state``), one client per platform (``dingtalk``, ``wecom``, ``feishu``;
``platforms`` picks them), signing in (``signin``), the org sync (``sync``) and personal notices
(``notices``). docs/workplace.md is the administrator's guide.
"""
