-- The part of Kamailio's database schema that auth_db reads (schema
-- version 7 of "subscriber", as Kamailio 5.6 expects); tests/lib/kamailio.sh
-- loads it into a fresh sqlite file per run.
CREATE TABLE version (
	id INTEGER PRIMARY KEY NOT NULL,
	table_name VARCHAR(32) NOT NULL,
	table_version INTEGER DEFAULT 0 NOT NULL,
	CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT INTO version (table_name, table_version) VALUES ('version', 1);

CREATE TABLE subscriber (
	id INTEGER PRIMARY KEY NOT NULL,
	username VARCHAR(64) DEFAULT '' NOT NULL,
	domain VARCHAR(64) DEFAULT '' NOT NULL,
	password VARCHAR(64) DEFAULT '' NOT NULL,
	ha1 VARCHAR(128) DEFAULT '' NOT NULL,
	ha1b VARCHAR(128) DEFAULT '' NOT NULL,
	CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX subscriber_username_idx ON subscriber (username);
INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7);
