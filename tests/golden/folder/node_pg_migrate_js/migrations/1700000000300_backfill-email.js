exports.up = (pgm) => {
  pgm.sql("UPDATE users SET email = handle || '@example.com'");
};
exports.down = false;
