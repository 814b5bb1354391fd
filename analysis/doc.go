// Package analysis turns what a forensic lab extracts from seized phones
// (WhatsApp and Telegram chats, address books, call records, bank
// transfers) into a network a prosecutor can question, with every link
// traced to the evidence item it came from.
//
// It is pure Go: no SQL, no HTTP, no flags. Importers read a file as a
// stream (a line, a JSON message or a CSV row at a time, never the whole
// file) and hand each record to a Sink together with its Source: the
// evidence item, the file's SHA-256 and the line (or, for JSON, the byte
// offset). A line that cannot be read goes to the Sink as a Reject with its
// line number and the reason in Spanish and English; nothing is skipped
// silently.
//
// Records become entities and links in a Graph (model.go) whose schema
// names are FollowTheMoney's (Person, Organization, Company, BankAccount;
// Message, Call, Payment, Ownership, Membership, Representation), so that
// an export opens in Aleph. Resolve (resolve.go) ties the same person
// across sources: strong identifiers first (a phone number in E.164 with
// Ecuador's defaults, an e-mail address, a cédula), then names, whose
// uncertain matches go to a review queue. The questions (paths, brokers,
// communities, timelines) are in graph.go and centrality.go.
package analysis
