-- 0203 Messaging cost (issue 18): what each message cost, priced once from the pricing block of its
-- status callback (Meta's category, whether billable) with the rate table in force that day, for the
-- campaigns' cost per lead and ROI. outbox_id is NULL for the demo's made-up past messages.
CREATE TABLE message_costs (
	id         INTEGER PRIMARY KEY,
	outbox_id  INTEGER UNIQUE REFERENCES outbox (id),
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	contact_id INTEGER NOT NULL REFERENCES contacts (id),
	country    TEXT    NOT NULL,               -- ISO code of the recipient's number, '' when unknown
	category   TEXT    NOT NULL,               -- marketing, utility, authentication, service
	billable   INTEGER NOT NULL,
	cost_cop   REAL    NOT NULL,
	priced_at  INTEGER NOT NULL,
	campaign   TEXT    NOT NULL DEFAULT ''  -- campaign_key of the person's lead, else first ad referral, when priced
);
CREATE INDEX message_costs_day ON message_costs (priced_at, campaign);
CREATE INDEX message_costs_contact ON message_costs (contact_id);
