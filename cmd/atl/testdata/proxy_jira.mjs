// A session of jira.js (npm) against atl proxy:
//   JIRA_PROXY_KEY=KEY node proxy_jira.mjs URL
// It reads with the key as a bearer token, follows the self links it is
// given, and prints what it read.
import { createCloudClient } from 'jira.js';

const host = process.argv[2];
const jira = createCloudClient({ host, auth: { type: 'bearer', token: process.env.JIRA_PROXY_KEY } });
const me = await jira.myself.getCurrentUser();
console.log('myself', me.displayName, me.self);
const projects = await jira.projects.searchProjects({ maxResults: 2 });
console.log('projects', projects.values.map((p) => p.key).join(','), projects.self);
const issue = await jira.issues.getIssue({ issueIdOrKey: 'P1-2' });
console.log('issue', issue.key, issue.fields.summary);
const self = await fetch(me.self, { headers: { Authorization: `Bearer ${process.env.JIRA_PROXY_KEY}` } });
console.log('self', self.status, (await self.json()).accountId);
