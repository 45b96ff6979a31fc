DROP INDEX CONCURRENTLY users_handle_idx;
