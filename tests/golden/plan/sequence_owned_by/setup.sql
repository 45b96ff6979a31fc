-- OWNED BY of standalone sequences (issue 13, seen on Lemmy: a table
-- renamed after it was made with serial keeps its sequence's old name,
-- so the column is written with a nextval() default and the sequence
-- with owned_by): each owner differs from the model's
CREATE TABLE mod_feature_post (id integer NOT NULL);
CREATE SEQUENCE mod_sticky_post_id_seq AS integer;
ALTER TABLE mod_feature_post
    ALTER id SET DEFAULT nextval('mod_sticky_post_id_seq');
CREATE TABLE tags (id integer);
CREATE SEQUENCE tag_no OWNED BY tags.id;
CREATE SEQUENCE moved_no OWNED BY tags.id;
CREATE SEQUENCE in_sync OWNED BY tags.id;
