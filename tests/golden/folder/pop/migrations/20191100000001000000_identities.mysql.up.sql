CREATE TABLE `identities` (
`id` char(36) NOT NULL,
`traits` JSON NOT NULL,
`created_at` DATETIME NOT NULL,
PRIMARY KEY(`id`)
) ENGINE=InnoDB;
