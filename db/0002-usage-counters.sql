-- svsem registry, schema version 2: the usage counters, kept as the kernel keeps them (ipc_ids'
-- in_use and the namespace's used_sems) instead of counted over every set on each semget and
-- SEM_INFO, which made creating a set cost more the more sets there were. Triggers keep them
-- right whatever adds or deletes a set.
ALTER TABLE ids ADD COLUMN in_use INTEGER NOT NULL DEFAULT 0 CHECK (in_use BETWEEN 0 AND 32768);
ALTER TABLE ids ADD COLUMN used_sems INTEGER NOT NULL DEFAULT 0 CHECK (used_sems >= 0);
UPDATE ids SET
  in_use = (SELECT count(*) FROM sem_set),
  used_sems = (SELECT coalesce(sum(nsems), 0) FROM sem_set);

CREATE TRIGGER sem_set_counted AFTER INSERT ON sem_set BEGIN
  UPDATE ids SET in_use = in_use + 1, used_sems = used_sems + NEW.nsems;
END;

CREATE TRIGGER sem_set_uncounted AFTER DELETE ON sem_set BEGIN
  UPDATE ids SET in_use = in_use - 1, used_sems = used_sems - OLD.nsems;
END;
