-- 0070 message truncated: a huge inbound text (RELIABILITY B1) is stored cut to a bounded length,
-- marked here, so one message cannot grow the store by megabytes.
ALTER TABLE messages ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
