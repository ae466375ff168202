"""The Telegram bot for mentor pairs (python-telegram-bot 22).

A map:

- ``app.py``        ``build_application(settings, …)``; ``HANDLER_MODULES`` lists the flows in order
- ``runner.py``     ``BotRunner``: the one start/stop of the bot (polling or webhook) and its
                    knowledge warm-up, used by ``stegvis bot``, ``stegvis up`` and webhook mode
- ``run.py``        ``python -m bot.run`` / ``stegvis bot``: long polling (``--base-url`` for the emulator)
- ``handlers/``     one module per flow, each with ``build_handlers()``; ``text.py`` is the one entry
                    point for plain text, ``fallback.py`` answers everything else
- ``state.py``      ``once`` (each update handled once, in one transaction with what it wrote),
                    ``peek``, ``Turn`` (the sender, their contact, their conversation)
- ``replies.py``    ``Outcome``/``Reply`` (what a handler answers, as data) and ``deliver``
- ``send.py``       writing to a person first, by pseudonymous id (check-ins, reminders)
- ``hooks.py``      flows that start when someone joins (``app.py`` lists them: ``AFTER_JOIN``)
- ``common.py``     step and activity names, the polite refusals, ``active_pair``
- ``ptb.py``        PTB's generic types filled in once: ``Handler``, ``BotApplication``, ``Context``
- ``ideas.py`` + ``ideas.yaml``   meeting ideas as data
- ``i18n/``         gettext catalogs for sv en ar fa uk so ti; ``python -m bot.i18n.catalogs``

Adding a flow: a module in ``handlers/`` whose callbacks call ``once(update, context, work)``
with a synchronous ``work(turn) -> Outcome`` and ``deliver`` the result; keep its state with
``turn.begin/move/end`` and put ``<flow>:<nonce>:…`` in its buttons; import the module in
``app.py`` and add it to ``HANDLER_MODULES`` (before ``fallback``), and to ``handlers/text.py``'s
``TEXT_FLOWS`` if it reads typed answers. The bot's tables (handled update ids, conversation
state, skipped survey questions) are the domain's: ``outcomes/conversations.py`` and
``outcomes/survey_skips.py``.
"""
