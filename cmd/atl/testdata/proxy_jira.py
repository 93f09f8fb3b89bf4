"""A session of the Python jira library (python3-jira) against atl proxy.

Usage: JIRA_PROXY_KEY=KEY python3 proxy_jira.py URL

It signs in with the key as the API token, reads, searches, and edits an
issue through its self link; before the edit it prints "ready" and waits
for a line on stdin (the test expires the access token then).
"""
import os
import sys

from jira import JIRA

url = sys.argv[1]
jira = JIRA(server=url, basic_auth=("me@example.com", os.environ["JIRA_PROXY_KEY"]))
print("server", jira.server_info()["baseUrl"])
print("myself", jira.myself()["displayName"])
print("search", ",".join(issue.key for issue in jira.search_issues("project = P1", maxResults=False)))
issue = jira.issue("P1-2")
print("issue", issue.key, issue.fields.summary, issue.self)
print("ready", flush=True)
sys.stdin.readline()
issue.update(summary="Renamed through atl proxy")
print("edited", issue.fields.summary, jira.issue("P1-2").fields.summary)
