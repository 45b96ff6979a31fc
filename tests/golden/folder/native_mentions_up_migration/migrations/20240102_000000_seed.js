// a script of the application's, no migration of this folder
