"""inkorg-kit: plan, check, cut and follow up bulk messages to residents' 1177 inbox.

Importing the package changes no setting: notebooks switch on the offline chart renderer and
the plain tables with one call, :func:`inkorg_kit.ui.display.use_notebook_display`.
"""
