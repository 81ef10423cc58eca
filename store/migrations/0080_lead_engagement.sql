-- 0080 lead engagement: how the prospect went through the questions, candidate scoring features (issue 8).
-- NULL means unknown (leads stored before this migration, demo past leads): missing, not zero.
ALTER TABLE leads ADD COLUMN retries INTEGER;        -- answers the bot did not understand
ALTER TABLE leads ADD COLUMN answer_seconds INTEGER; -- consent to last answer
ALTER TABLE leads ADD COLUMN returning_contact INTEGER; -- 1 when the contact already had a lead
