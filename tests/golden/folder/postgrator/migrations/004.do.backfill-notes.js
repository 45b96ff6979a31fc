module.exports.generateSql = () => "UPDATE users SET note = handle";
