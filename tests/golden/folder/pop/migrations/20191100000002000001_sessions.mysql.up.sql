ALTER TABLE `sessions` MODIFY `issued_at` DATETIME(6) NOT NULL;
