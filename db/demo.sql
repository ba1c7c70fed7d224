-- Demo data for `mingshi serve --demo` (DESIGN §5), loaded into an empty database.
-- Every demo account's password is "mingshi-demo" (PBKDF2-SHA256, 600 000 iterations, each
-- with its own salt). Universities carry their Ministry of Education codes.

INSERT INTO universities (id, name, code) VALUES
	(1, '郑州大学', '10459'),
	(2, '河南大学', '10475'),
	(3, '河南师范大学', '10476'),
	(4, '河南理工大学', '10460'),
	(5, '河南农业大学', '10466');

INSERT INTO users (id, username, name, role, university_id, password_hash) VALUES
	(1, 'admin', '省教育厅管理员', 'admin', NULL,
	 '$pbkdf2-sha256$600000$XVPo52lpfoTOLMfmGNbyyQ==$C8D78Zf29ParjrLBAyVgeNxN5RMiSQkU/q5Xa0ZBnEw='),
	(2, 'zzu_admin', '郑大教师发展中心', 'university_admin', 1,
	 '$pbkdf2-sha256$600000$6h2qQZEeKUCfhBC9lvrMHA==$OjTxIa7WWhk14GBr1Xjk3708QGlcH+vucipAWTw5TQw='),
	(3, 'master_li', '李明华', 'master', 1,
	 '$pbkdf2-sha256$600000$B+l7J1saIt2uMpGyifZfFw==$PklpRLb8ahGw85ML0OEfiStEDIZ9BJJIgvDvY+UZDfk='),
	(4, 'teacher_wang', '王晓雨', 'teacher', 1,
	 '$pbkdf2-sha256$600000$1cUxlfN5ckhjtPcTd1otkg==$4SDaiBn+8kGHfDj5wSGeAWSV0tkDRVRyycQaH3NGS3A='),
	(5, 'expert_zhao', '赵国强', 'expert', NULL,
	 '$pbkdf2-sha256$600000$wrunMjXZhlbUMbkEu+gGHw==$lwwCoqzGe0GHyRzawe77v09I11NAy2PwH5T4mGu3v0M=');
