-- GitLab adds keys to big tables NOT VALID and validates them in a later
-- release; a database caught between the two.
CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE issues (
    id bigint PRIMARY KEY,
    project_id bigint NOT NULL,
    weight integer,
    title character varying(255) NOT NULL
);
ALTER TABLE issues ADD CONSTRAINT fk_899c8f3231 FOREIGN KEY (project_id)
    REFERENCES projects (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE issues ADD CONSTRAINT check_weight_positive
    CHECK (weight >= 0) NOT VALID;
INSERT INTO projects VALUES (1, 'p');
INSERT INTO issues VALUES (1, 1, 3, 't');
