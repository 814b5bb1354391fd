// Package app is Custodia's application layer: what every door (the JSON
// API in package httpapi, the pages in package web, the server command)
// calls, and what none of them may bypass. It knows no HTTP.
//
//   - Who is calling: Principal, built from an API token or a browser
//     session (Service.TokenPrincipal, Service.SessionPrincipal), and
//     sign-in (Service.Login: passwords, TOTP, per-account limits).
//   - What they may do: Policy, per role, per case membership, per item
//     disclosed to the defence, per site target before the operation's
//     release.
//   - Audited reads: Cases, Case, Persons, Person, Detentions, Items,
//     AccessLog, OperationReport, Sites, Site, Item, ItemHistory, Bundle
//     apply the policy and record an access.read event before they return
//     the data; the views they return (CaseView, SiteView, ItemView, ...)
//     are what the doors show.
//   - Writes: WriteRecord and Append hand records to the group committer
//     (Committer), which checks a write's authorization just before the
//     append, against the very state the record is applied to (no window
//     between check and write), gathers concurrent writes into one ledger
//     transaction, and answers each request only when its batch is durable.
//   - Accounts: CreateAccount, IssueToken, ChangePassword; their secrets go
//     to package accounts' store, their existence and changes to the log.
//   - The live board (Broker, BoardEvent): committed events fan out to the
//     operation's subscribers without ever blocking the committer.
//   - The scheduled integrity check of evidence files (CheckFiles).
//
// Sessions, rate-limit counters, the token cache and stream subscribers
// live in memory: they prove nothing and are lost on restart.
package app
