"""A Telegram Bot API emulator, its control API, Telegram's limits and faults, and the sandbox chat.

Where things are: ``app.create_emulator_app`` (the ASGI app), ``core.Emulator`` (the world and what
people do in it), ``methods`` (the Bot API methods), ``botapi`` (their HTTP front), ``control``
(``/_emulator/``), ``limits``, ``faults``, ``webhook``, ``formatting`` (parse_mode),
``markup`` (keyboards), ``state`` (data), ``server`` (uvicorn on loopback), ``testing`` (helpers
for tests with a real python-telegram-bot Application), ``static/`` (the sandbox page).
"""
