"""The member web page (issue 19): one-time code sign-in, member sessions, the member's data."""
