-- golang/pkgsite's db-schema.sql (BSD-3-Clause), public.modules and
-- public.module_version_states with their keys and indexes, trimmed of
-- comments, owners and the trigger; the models say every DESC and the
-- text_pattern_ops key, so the plan is empty (bench/fidelity.sh runs the
-- whole schema).
CREATE TYPE public.version_type AS ENUM (
    'release',
    'prerelease',
    'pseudo'
);

CREATE TABLE public.module_version_states (
    module_path text NOT NULL,
    version text NOT NULL,
    status integer DEFAULT 0 NOT NULL,
    error text DEFAULT ''::text NOT NULL,
    try_count integer DEFAULT 0 NOT NULL,
    last_processed_at timestamp with time zone,
    next_processed_after timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    index_timestamp timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    app_version text DEFAULT ''::text NOT NULL,
    sort_version text NOT NULL,
    go_mod_path text DEFAULT ''::text NOT NULL,
    num_packages integer,
    incompatible boolean NOT NULL,
    has_go_mod boolean
);

CREATE TABLE public.modules (
    module_path text NOT NULL,
    version text NOT NULL,
    commit_time timestamp with time zone NOT NULL,
    series_path text NOT NULL,
    version_type public.version_type NOT NULL,
    source_info jsonb,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    sort_version text NOT NULL,
    redistributable boolean NOT NULL,
    has_go_mod boolean NOT NULL,
    id integer NOT NULL,
    incompatible boolean NOT NULL,
    status integer
);

ALTER TABLE public.modules ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.modules_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.module_version_states
    ADD CONSTRAINT module_version_states_pkey PRIMARY KEY (module_path, version);
ALTER TABLE ONLY public.modules
    ADD CONSTRAINT modules_id_key UNIQUE (id);
ALTER TABLE ONLY public.modules
    ADD CONSTRAINT modules_pkey PRIMARY KEY (module_path, version);
CREATE INDEX idx_module_version_states_incompatible ON public.module_version_states USING btree (incompatible);
CREATE INDEX idx_module_version_states_index_timestamp ON public.module_version_states USING btree (index_timestamp DESC);
CREATE INDEX idx_module_version_states_last_processed_at ON public.module_version_states USING btree (last_processed_at);
CREATE INDEX idx_module_version_states_next_processed_after ON public.module_version_states USING btree (next_processed_after);
CREATE INDEX idx_module_version_states_num_packages ON public.module_version_states USING btree (num_packages);
CREATE INDEX idx_module_version_states_sort_version ON public.module_version_states USING btree (sort_version DESC);
CREATE INDEX idx_module_version_states_status ON public.module_version_states USING btree (status);
CREATE INDEX idx_modules_incompatible ON public.modules USING btree (incompatible);
CREATE INDEX idx_modules_module_path_text_pattern_ops ON public.modules USING btree (module_path text_pattern_ops);
CREATE INDEX idx_modules_series_path ON public.modules USING btree (series_path);
CREATE INDEX idx_modules_sort_version ON public.modules USING btree (sort_version DESC, version_type DESC);
CREATE INDEX idx_modules_version_type ON public.modules USING btree (version_type);
CREATE INDEX idx_mvs_unprocessed_timestamp ON public.module_version_states USING btree (index_timestamp) WHERE (last_processed_at IS NULL);
INSERT INTO public.modules (module_path, version, commit_time, series_path, version_type, sort_version, redistributable, has_go_mod, incompatible) VALUES ('golang.org/x/text', 'v0.3.0', now(), 'golang.org/x/text', 'release', '0000000003', true, true, false);
