"""What botdeck reads from and writes to the user's disk: every user folder (`paths`),
untrusted files read and whole files written safely (`files`), and the log file with
secrets masked (`logs`). Nothing here imports the rest of botdeck.
"""
