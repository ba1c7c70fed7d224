-- 0002 — studios (名师工作室), their members and achievements; the people around them.

-- What the platform needs to know about a person, and no more (PIPL minimisation): their
-- professional title (职称), and a phone and an email for the studio's work. Phone and email
-- are masked in every list and shown whole only to admins and the person, each whole read
-- logged in pii_reads. must_change_password marks a machine-generated initial password
-- (user import, admin creation, reset): such a session may only change its password.
ALTER TABLE users ADD COLUMN title TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 32);
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '' CHECK (length(phone) <= 20);
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '' CHECK (length(email) <= 254);
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
	CHECK (must_change_password IN (0, 1));

-- Who read whose whole phone/email, and when (DESIGN §8).
CREATE TABLE pii_reads (
	id         INTEGER PRIMARY KEY,
	at         TEXT NOT NULL,
	reader_id  INTEGER NOT NULL,
	subject_id INTEGER NOT NULL,
	fields     TEXT NOT NULL
) STRICT;
CREATE INDEX pii_reads_subject ON pii_reads(subject_id);

-- A teaching-master studio. Its master is a user with role 'master'; it belongs to one
-- university. level: provincial (省级) or national (国家级). cycle is the construction period,
-- e.g. '2024-2026'. max_members caps approved members (DESIGN: default 6).
CREATE TABLE studios (
	id             INTEGER PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 2 AND 60),
	master_id      INTEGER NOT NULL REFERENCES users(id),
	university_id  INTEGER NOT NULL REFERENCES universities(id),
	discipline     TEXT NOT NULL CHECK (length(discipline) BETWEEN 1 AND 40),
	level          TEXT NOT NULL DEFAULT 'provincial' CHECK (level IN ('provincial', 'national')),
	established_on TEXT NOT NULL CHECK (established_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	cycle          TEXT NOT NULL DEFAULT '' CHECK (length(cycle) <= 20),
	introduction   TEXT NOT NULL DEFAULT '' CHECK (length(introduction) <= 4000),
	training_plan  TEXT NOT NULL DEFAULT '' CHECK (length(training_plan) <= 8000),
	honours        TEXT NOT NULL DEFAULT '' CHECK (length(honours) <= 4000),
	max_members    INTEGER NOT NULL DEFAULT 6 CHECK (max_members BETWEEN 1 AND 200),
	status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
	created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX studios_university ON studios(university_id);
-- One studio per master: GET /me reports "the studio a master runs".
CREATE UNIQUE INDEX studios_master ON studios(master_id);

-- A master who runs a studio stays a master (the studio would otherwise have none).
CREATE TRIGGER users_master_keeps_role BEFORE UPDATE OF role ON users
WHEN OLD.role = 'master' AND NEW.role <> 'master'
     AND EXISTS (SELECT 1 FROM studios WHERE master_id = OLD.id)
BEGIN
	SELECT RAISE(ABORT, 'this user runs a studio');
END;

-- Membership of a teacher in a studio, one row per (studio, user) whatever its history:
-- pending → approved | rejected; approved → left (by the member) | removed (by the master).
-- A rejected, left or removed teacher may apply again (the row returns to pending).
CREATE TABLE studio_members (
	studio_id  INTEGER NOT NULL REFERENCES studios(id),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'left', 'removed')),
	reason     TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
	applied_at TEXT NOT NULL,
	decided_at TEXT,
	decided_by INTEGER REFERENCES users(id),
	PRIMARY KEY (studio_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX studio_members_user ON studio_members(user_id, status);

-- Achievements (成果) that feed the annual assessment.
CREATE TABLE achievements (
	id          INTEGER PRIMARY KEY,
	studio_id   INTEGER NOT NULL REFERENCES studios(id),
	kind        TEXT NOT NULL CHECK (kind IN ('paper', 'award', 'course', 'teaching_case', 'other')),
	title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	achieved_on TEXT NOT NULL CHECK (achieved_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
	link        TEXT NOT NULL DEFAULT '' CHECK (length(link) <= 500),
	created_by  INTEGER NOT NULL REFERENCES users(id),
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX achievements_studio ON achievements(studio_id, achieved_on);
