PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1');
INSERT INTO grdb_migrations VALUES('v2-resolutions');
INSERT INTO grdb_migrations VALUES('v3-reopen');
INSERT INTO grdb_migrations VALUES('v4-held');
INSERT INTO grdb_migrations VALUES('v5-transfers');
INSERT INTO grdb_migrations VALUES('v6-guard-window');
INSERT INTO grdb_migrations VALUES('v7-region-activity');
INSERT INTO grdb_migrations VALUES('v8-last-source');
INSERT INTO grdb_migrations VALUES('v9-clocks');
INSERT INTO grdb_migrations VALUES('v10-review-sessions');
INSERT INTO grdb_migrations VALUES('v11-token-selectors');
INSERT INTO grdb_migrations VALUES('v12-report-facts');
INSERT INTO grdb_migrations VALUES('v13-report-totals');
INSERT INTO grdb_migrations VALUES('v14-client-certificates');
INSERT INTO grdb_migrations VALUES('v15-changeset-signatures');
INSERT INTO grdb_migrations VALUES('v16-store-epochs');
INSERT INTO grdb_migrations VALUES('v17-changeset-push');
INSERT INTO grdb_migrations VALUES('v18-certificate-keys');
CREATE TABLE records (
    uscc TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    revision INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL,
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
, last_source TEXT);
INSERT INTO records VALUES('91410183MAFRU6MM9L','410100',2,3,0,'{"address":"河南省郑州市新密市中原路359号","businessScope":"一般项目：化学药品原料药制造；药业产品销售；普通货物仓储服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；销售代理（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"陈丽","phone":"18716409031"},"county":"410183","employees":60,"establishedOn":"2017-05-05","industry":"C3484","legalRepresentative":"钟红飞","name":"郑州明泰药业有限公司","rdExpenseYuan":224984,"region":"410100","registeredCapitalYuan":500000,"revenueYuan":10000000,"sizeClass":"small","srdi":{"batch":1,"validUntil":"2028-12-31","year":2026},"status":"active","supportMeasures":[{"amountYuan":300000,"date":"2026-03-15","measure":"贷款贴息"}],"taxYuan":267168,"updatedAt":"2024-04-06T08:24:05+08:00","uscc":"91410183MAFRU6MM9L"}','6f1c20f9e2422f59269a25ec72ca3332d084b33a2cfa723d20f97a8776b31730','2026-03-20T09:30:00Z',NULL);
INSERT INTO records VALUES('91410184MAKNB47XXG','410100',1,2,0,'{"address":"河南省郑州市新郑市建设路124号","businessScope":"一般项目：新能源车整车制造；新能源汽车产品销售；货物进出口；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；五金产品批发（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"罗超飞","phone":"13444849758"},"county":"410184","employees":150,"establishedOn":"2019-03-28","industry":"C3484","legalRepresentative":"武雪斌","name":"郑州永合新能源汽车有限公司","rdExpenseYuan":348242,"region":"410100","registeredCapitalYuan":500000,"revenueYuan":30000000,"sizeClass":"micro","status":"active","supportMeasures":[],"taxYuan":200239,"updatedAt":"2024-12-10T17:55:15+08:00","uscc":"91410184MAKNB47XXG"}','2f4758e29d94c59f59005b3f6c6cc8d31ed41017b822eeada180d7222f42be19','2026-03-02T08:00:00Z',NULL);
INSERT INTO records VALUES('91410212MA95G49704','410200',1,4,0,'{"aboveDesignatedSize":{"since":"2019-06"},"address":"河南省开封市祥符区黄河路345号","businessScope":"一般项目：白酒制造；酒业产品销售；货物进出口；机械设备租赁（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"邓秀","phone":"13091318742"},"county":"410212","employees":400,"establishedOn":"2023-07-16","industry":"C3491","legalRepresentative":"张涛霞","littleGiant":{"batch":5,"validUntil":"2026-06-30","year":2023},"name":"开封盛益酒业有限公司","rdExpenseYuan":144014,"region":"410200","registeredCapitalYuan":2000000,"revenueYuan":50000000,"sizeClass":"medium","srdi":{"batch":1,"validUntil":"2023-12-31","year":2021},"status":"closed","supportMeasures":[{"amountYuan":1000000,"date":"2025-05-20","measure":"技术改造补助"},{"amountYuan":200000,"date":"2026-01-10","measure":"贷款贴息"}],"taxYuan":87759,"updatedAt":"2023-08-22T15:16:35+08:00","uscc":"91410212MA95G49704"}','8803633dd212afa097675924e4bf8d3909409b1bb3ca152d81f240e6875481e3','2026-03-21T10:00:00Z',NULL);
CREATE TABLE provenance (
    uscc TEXT NOT NULL,
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    changeset TEXT NOT NULL,
    at TEXT NOT NULL,
    revision INTEGER NOT NULL, clock TEXT,
    PRIMARY KEY (uscc, field)
) WITHOUT ROWID;
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','address','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','businessScope','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','contact.person','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','contact.phone','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','county','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','employees','reviewer:wang','edit-5f0c7a2e-2b51-4d7e-9c43-1f7e0d3a6b10','2026-03-20T09:30:00Z',2,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','establishedOn','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','industry','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','legalRepresentative','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','name','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','rdExpenseYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','region','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','registeredCapitalYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','revenueYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','sizeClass','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','srdi.batch','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','srdi.validUntil','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','srdi.year','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','status','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','supportMeasures','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','taxYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','updatedAt','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410183MAFRU6MM9L','uscc','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','address','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','businessScope','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','contact.person','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','contact.phone','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','county','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','employees','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','establishedOn','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','industry','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','legalRepresentative','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','name','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','rdExpenseYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','region','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','registeredCapitalYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','revenueYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','sizeClass','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','status','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','supportMeasures','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','taxYuan','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','updatedAt','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410184MAKNB47XXG','uscc','region:410100','cs-1','2026-03-02T08:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','aboveDesignatedSize.since','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','address','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','businessScope','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','contact.person','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','contact.phone','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','county','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','employees','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','establishedOn','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','industry','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','legalRepresentative','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','littleGiant.batch','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','littleGiant.validUntil','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','littleGiant.year','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','name','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','rdExpenseYuan','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','region','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','registeredCapitalYuan','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','revenueYuan','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','sizeClass','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','srdi.batch','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','srdi.validUntil','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','srdi.year','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','status','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','supportMeasures','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','taxYuan','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','updatedAt','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
INSERT INTO provenance VALUES('91410212MA95G49704','uscc','region:410200','kf-1','2026-03-21T10:00:00Z',1,NULL);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL,
    revision INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL,
    source TEXT NOT NULL,
    changeset TEXT NOT NULL,
    at TEXT NOT NULL,
    fields TEXT NOT NULL
);
INSERT INTO history VALUES(1,'91410183MAFRU6MM9L',1,1,'{"address":"河南省郑州市新密市中原路359号","businessScope":"一般项目：化学药品原料药制造；药业产品销售；普通货物仓储服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；销售代理（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"陈丽","phone":"18716409031"},"county":"410183","employees":50,"establishedOn":"2017-05-05","industry":"C3484","legalRepresentative":"钟红飞","name":"郑州明泰药业有限公司","rdExpenseYuan":224984,"region":"410100","registeredCapitalYuan":500000,"revenueYuan":10000000,"sizeClass":"small","srdi":{"batch":1,"validUntil":"2028-12-31","year":2026},"status":"active","supportMeasures":[{"amountYuan":300000,"date":"2026-03-15","measure":"贷款贴息"}],"taxYuan":267168,"updatedAt":"2024-04-06T08:24:05+08:00","uscc":"91410183MAFRU6MM9L"}','region:410100','cs-1','2026-03-02T08:00:00Z','["address","businessScope","contact.person","contact.phone","county","employees","establishedOn","industry","legalRepresentative","name","rdExpenseYuan","region","registeredCapitalYuan","revenueYuan","sizeClass","srdi.batch","srdi.validUntil","srdi.year","status","supportMeasures","taxYuan","updatedAt","uscc"]');
INSERT INTO history VALUES(2,'91410184MAKNB47XXG',1,2,'{"address":"河南省郑州市新郑市建设路124号","businessScope":"一般项目：新能源车整车制造；新能源汽车产品销售；货物进出口；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；五金产品批发（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"罗超飞","phone":"13444849758"},"county":"410184","employees":150,"establishedOn":"2019-03-28","industry":"C3484","legalRepresentative":"武雪斌","name":"郑州永合新能源汽车有限公司","rdExpenseYuan":348242,"region":"410100","registeredCapitalYuan":500000,"revenueYuan":30000000,"sizeClass":"micro","status":"active","supportMeasures":[],"taxYuan":200239,"updatedAt":"2024-12-10T17:55:15+08:00","uscc":"91410184MAKNB47XXG"}','region:410100','cs-1','2026-03-02T08:00:00Z','["address","businessScope","contact.person","contact.phone","county","employees","establishedOn","industry","legalRepresentative","name","rdExpenseYuan","region","registeredCapitalYuan","revenueYuan","sizeClass","status","supportMeasures","taxYuan","updatedAt","uscc"]');
INSERT INTO history VALUES(3,'91410183MAFRU6MM9L',2,3,'{"address":"河南省郑州市新密市中原路359号","businessScope":"一般项目：化学药品原料药制造；药业产品销售；普通货物仓储服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；销售代理（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"陈丽","phone":"18716409031"},"county":"410183","employees":60,"establishedOn":"2017-05-05","industry":"C3484","legalRepresentative":"钟红飞","name":"郑州明泰药业有限公司","rdExpenseYuan":224984,"region":"410100","registeredCapitalYuan":500000,"revenueYuan":10000000,"sizeClass":"small","srdi":{"batch":1,"validUntil":"2028-12-31","year":2026},"status":"active","supportMeasures":[{"amountYuan":300000,"date":"2026-03-15","measure":"贷款贴息"}],"taxYuan":267168,"updatedAt":"2024-04-06T08:24:05+08:00","uscc":"91410183MAFRU6MM9L"}','reviewer:wang','edit-5f0c7a2e-2b51-4d7e-9c43-1f7e0d3a6b10','2026-03-20T09:30:00Z','["employees"]');
INSERT INTO history VALUES(4,'91410212MA95G49704',1,4,'{"aboveDesignatedSize":{"since":"2019-06"},"address":"河南省开封市祥符区黄河路345号","businessScope":"一般项目：白酒制造；酒业产品销售；货物进出口；机械设备租赁（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）","contact":{"person":"邓秀","phone":"13091318742"},"county":"410212","employees":400,"establishedOn":"2023-07-16","industry":"C3491","legalRepresentative":"张涛霞","littleGiant":{"batch":5,"validUntil":"2026-06-30","year":2023},"name":"开封盛益酒业有限公司","rdExpenseYuan":144014,"region":"410200","registeredCapitalYuan":2000000,"revenueYuan":50000000,"sizeClass":"medium","srdi":{"batch":1,"validUntil":"2023-12-31","year":2021},"status":"closed","supportMeasures":[{"amountYuan":1000000,"date":"2025-05-20","measure":"技术改造补助"},{"amountYuan":200000,"date":"2026-01-10","measure":"贷款贴息"}],"taxYuan":87759,"updatedAt":"2023-08-22T15:16:35+08:00","uscc":"91410212MA95G49704"}','region:410200','kf-1','2026-03-21T10:00:00Z','["aboveDesignatedSize.since","address","businessScope","contact.person","contact.phone","county","employees","establishedOn","industry","legalRepresentative","littleGiant.batch","littleGiant.validUntil","littleGiant.year","name","rdExpenseYuan","region","registeredCapitalYuan","revenueYuan","sizeClass","srdi.batch","srdi.validUntil","srdi.year","status","supportMeasures","taxYuan","updatedAt","uscc"]');
CREATE TABLE changesets (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    received_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    result BLOB NOT NULL
, affected INTEGER NOT NULL DEFAULT 0, push TEXT);
INSERT INTO changesets VALUES('cs-1','410100','2026-03-02T08:00:00Z',2,X'7b22666f726d6174223a312c226964223a2263732d31222c227265636f726473223a5b7b226170706c696564223a5b2261646472657373222c22627573696e65737353636f7065222c22636f6e746163742e706572736f6e222c22636f6e746163742e70686f6e65222c22636f756e7479222c22656d706c6f79656573222c2265737461626c69736865644f6e222c22696e647573747279222c226c6567616c526570726573656e746174697665222c226e616d65222c227264457870656e73655975616e222c22726567696f6e222c22726567697374657265644361706974616c5975616e222c22726576656e75655975616e222c2273697a65436c617373222c22737264692e6261746368222c22737264692e76616c6964556e74696c222c22737264692e79656172222c22737461747573222c22737570706f72744d65617375726573222c227461785975616e222c22757064617465644174222c2275736363225d2c22636f6e666c69637473223a5b5d2c22646f63756d656e74223a7b2261646472657373223a22e6b2b3e58d97e79c81e98391e5b79ee5b882e696b0e5af86e5b882e4b8ade58e9fe8b7af333539e58fb7222c22627573696e65737353636f7065223a22e4b880e888ace9a1b9e79baeefbc9ae58c96e5ada6e88dafe59381e58e9fe69699e88dafe588b6e980a0efbc9be88dafe4b89ae4baa7e59381e99480e594aeefbc9be699aee9809ae8b4a7e789a9e4bb93e582a8e69c8de58aa1efbc9be68a80e69cafe69c8de58aa1e38081e68a80e69cafe5bc80e58f91e38081e68a80e69cafe592a8e8afa2e38081e68a80e69cafe4baa4e6b581e38081e68a80e69cafe8bdace8aea9e38081e68a80e69cafe68ea8e5b9bfefbc9be99480e594aee4bba3e79086efbc88e999a4e4be9de6b395e9a1bbe7bb8fe689b9e58786e79a84e9a1b9e79baee5a496efbc8ce587ade890a5e4b89ae689a7e785a7e4be9de6b395e887aae4b8bbe5bc80e5b195e7bb8fe890a5e6b4bbe58aa8efbc89222c22636f6e74616374223a7b22706572736f6e223a22e99988e4b8bd222c2270686f6e65223a223138373136343039303331227d2c22636f756e7479223a22343130313833222c22656d706c6f79656573223a35302c2265737461626c69736865644f6e223a22323031372d30352d3035222c22696e647573747279223a224333343834222c226c6567616c526570726573656e746174697665223a22e9929fe7baa2e9a39e222c226e616d65223a22e98391e5b79ee6988ee6b3b0e88dafe4b89ae69c89e99990e585ace58fb8222c227264457870656e73655975616e223a3232343938342c22726567696f6e223a22343130313030222c22726567697374657265644361706974616c5975616e223a3530303030302c22726576656e75655975616e223a31303030303030302c2273697a65436c617373223a22736d616c6c222c2273726469223a7b226261746368223a312c2276616c6964556e74696c223a22323032382d31322d3331222c2279656172223a323032367d2c22737461747573223a22616374697665222c22737570706f72744d65617375726573223a5b7b22616d6f756e745975616e223a3330303030302c2264617465223a22323032362d30332d3135222c226d656173757265223a22e8b4b7e6acbee8b4b4e681af227d5d2c227461785975616e223a3236373136382c22757064617465644174223a22323032342d30342d30365430383a32343a30352b30383a3030222c2275736363223a2239313431303138334d41465255364d4d394c227d2c226f7574636f6d65223a226170706c696564222c227265766973696f6e223a312c2275736363223a2239313431303138334d41465255364d4d394c227d2c7b226170706c696564223a5b2261646472657373222c22627573696e65737353636f7065222c22636f6e746163742e706572736f6e222c22636f6e746163742e70686f6e65222c22636f756e7479222c22656d706c6f79656573222c2265737461626c69736865644f6e222c22696e647573747279222c226c6567616c526570726573656e746174697665222c226e616d65222c227264457870656e73655975616e222c22726567696f6e222c22726567697374657265644361706974616c5975616e222c22726576656e75655975616e222c2273697a65436c617373222c22737461747573222c22737570706f72744d65617375726573222c227461785975616e222c22757064617465644174222c2275736363225d2c22636f6e666c69637473223a5b5d2c22646f63756d656e74223a7b2261646472657373223a22e6b2b3e58d97e79c81e98391e5b79ee5b882e696b0e98391e5b882e5bbbae8aebee8b7af313234e58fb7222c22627573696e65737353636f7065223a22e4b880e888ace9a1b9e79baeefbc9ae696b0e883bde6ba90e8bda6e695b4e8bda6e588b6e980a0efbc9be696b0e883bde6ba90e6b1bde8bda6e4baa7e59381e99480e594aeefbc9be8b4a7e789a9e8bf9be587bae58fa3efbc9be68a80e69cafe69c8de58aa1e38081e68a80e69cafe5bc80e58f91e38081e68a80e69cafe592a8e8afa2e38081e68a80e69cafe4baa4e6b581e38081e68a80e69cafe8bdace8aea9e38081e68a80e69cafe68ea8e5b9bfefbc9be4ba94e98791e4baa7e59381e689b9e58f91efbc88e999a4e4be9de6b395e9a1bbe7bb8fe689b9e58786e79a84e9a1b9e79baee5a496efbc8ce587ade890a5e4b89ae689a7e785a7e4be9de6b395e887aae4b8bbe5bc80e5b195e7bb8fe890a5e6b4bbe58aa8efbc89222c22636f6e74616374223a7b22706572736f6e223a22e7bd97e8b685e9a39e222c2270686f6e65223a223133343434383439373538227d2c22636f756e7479223a22343130313834222c22656d706c6f79656573223a3135302c2265737461626c69736865644f6e223a22323031392d30332d3238222c22696e647573747279223a224333343834222c226c6567616c526570726573656e746174697665223a22e6ada6e99baae6968c222c226e616d65223a22e98391e5b79ee6b0b8e59088e696b0e883bde6ba90e6b1bde8bda6e69c89e99990e585ace58fb8222c227264457870656e73655975616e223a3334383234322c22726567696f6e223a22343130313030222c22726567697374657265644361706974616c5975616e223a3530303030302c22726576656e75655975616e223a33303030303030302c2273697a65436c617373223a226d6963726f222c22737461747573223a22616374697665222c22737570706f72744d65617375726573223a5b5d2c227461785975616e223a3230303233392c22757064617465644174223a22323032342d31322d31305431373a35353a31352b30383a3030222c2275736363223a2239313431303138344d414b4e423437585847227d2c226f7574636f6d65223a226170706c696564222c227265766973696f6e223a312c2275736363223a2239313431303138344d414b4e423437585847227d5d2c227265706c61796564223a66616c73657d',0,NULL);
INSERT INTO changesets VALUES('kf-1','410200','2026-03-21T10:00:00Z',1,X'7b22666f726d6174223a312c226964223a226b662d31222c227265636f726473223a5b7b226170706c696564223a5b2261626f766544657369676e6174656453697a652e73696e6365222c2261646472657373222c22627573696e65737353636f7065222c22636f6e746163742e706572736f6e222c22636f6e746163742e70686f6e65222c22636f756e7479222c22656d706c6f79656573222c2265737461626c69736865644f6e222c22696e647573747279222c226c6567616c526570726573656e746174697665222c226c6974746c654769616e742e6261746368222c226c6974746c654769616e742e76616c6964556e74696c222c226c6974746c654769616e742e79656172222c226e616d65222c227264457870656e73655975616e222c22726567696f6e222c22726567697374657265644361706974616c5975616e222c22726576656e75655975616e222c2273697a65436c617373222c22737264692e6261746368222c22737264692e76616c6964556e74696c222c22737264692e79656172222c22737461747573222c22737570706f72744d65617375726573222c227461785975616e222c22757064617465644174222c2275736363225d2c22636f6e666c69637473223a5b5d2c22646f63756d656e74223a7b2261626f766544657369676e6174656453697a65223a7b2273696e6365223a22323031392d3036227d2c2261646472657373223a22e6b2b3e58d97e79c81e5bc80e5b081e5b882e7a5a5e7aca6e58cbae9bb84e6b2b3e8b7af333435e58fb7222c22627573696e65737353636f7065223a22e4b880e888ace9a1b9e79baeefbc9ae799bde98592e588b6e980a0efbc9be98592e4b89ae4baa7e59381e99480e594aeefbc9be8b4a7e789a9e8bf9be587bae58fa3efbc9be69cbae6a2b0e8aebee5a487e7a79fe8b581efbc88e999a4e4be9de6b395e9a1bbe7bb8fe689b9e58786e79a84e9a1b9e79baee5a496efbc8ce587ade890a5e4b89ae689a7e785a7e4be9de6b395e887aae4b8bbe5bc80e5b195e7bb8fe890a5e6b4bbe58aa8efbc89222c22636f6e74616374223a7b22706572736f6e223a22e98293e7a780222c2270686f6e65223a223133303931333138373432227d2c22636f756e7479223a22343130323132222c22656d706c6f79656573223a3430302c2265737461626c69736865644f6e223a22323032332d30372d3136222c22696e647573747279223a224333343931222c226c6567616c526570726573656e746174697665223a22e5bca0e6b69be99c9e222c226c6974746c654769616e74223a7b226261746368223a352c2276616c6964556e74696c223a22323032362d30362d3330222c2279656172223a323032337d2c226e616d65223a22e5bc80e5b081e79b9be79b8ae98592e4b89ae69c89e99990e585ace58fb8222c227264457870656e73655975616e223a3134343031342c22726567696f6e223a22343130323030222c22726567697374657265644361706974616c5975616e223a323030303030302c22726576656e75655975616e223a35303030303030302c2273697a65436c617373223a226d656469756d222c2273726469223a7b226261746368223a312c2276616c6964556e74696c223a22323032332d31322d3331222c2279656172223a323032317d2c22737461747573223a22636c6f736564222c22737570706f72744d65617375726573223a5b7b22616d6f756e745975616e223a313030303030302c2264617465223a22323032352d30352d3230222c226d656173757265223a22e68a80e69cafe694b9e980a0e8a1a5e58aa9227d2c7b22616d6f756e745975616e223a3230303030302c2264617465223a22323032362d30312d3130222c226d656173757265223a22e8b4b7e6acbee8b4b4e681af227d5d2c227461785975616e223a38373735392c22757064617465644174223a22323032332d30382d32325431353a31363a33352b30383a3030222c2275736363223a2239313431303231324d413935473439373034227d2c226f7574636f6d65223a226170706c696564222c227265766973696f6e223a312c2275736363223a2239313431303231324d413935473439373034227d5d2c227265706c61796564223a66616c73657d',0,NULL);
INSERT INTO changesets VALUES('cs-2','410100','2026-03-22T11:00:00Z',1,X'7b22666f726d6174223a312c226964223a2263732d32222c227265636f726473223a5b7b226170706c696564223a5b5d2c22636f6e666c69637473223a5b7b22636f6e666c6963744964223a312c226669656c64223a22656d706c6f79656573227d5d2c22646f63756d656e74223a7b2261646472657373223a22e6b2b3e58d97e79c81e98391e5b79ee5b882e696b0e98391e5b882e5bbbae8aebee8b7af313234e58fb7222c22627573696e65737353636f7065223a22e4b880e888ace9a1b9e79baeefbc9ae696b0e883bde6ba90e8bda6e695b4e8bda6e588b6e980a0efbc9be696b0e883bde6ba90e6b1bde8bda6e4baa7e59381e99480e594aeefbc9be8b4a7e789a9e8bf9be587bae58fa3efbc9be68a80e69cafe69c8de58aa1e38081e68a80e69cafe5bc80e58f91e38081e68a80e69cafe592a8e8afa2e38081e68a80e69cafe4baa4e6b581e38081e68a80e69cafe8bdace8aea9e38081e68a80e69cafe68ea8e5b9bfefbc9be4ba94e98791e4baa7e59381e689b9e58f91efbc88e999a4e4be9de6b395e9a1bbe7bb8fe689b9e58786e79a84e9a1b9e79baee5a496efbc8ce587ade890a5e4b89ae689a7e785a7e4be9de6b395e887aae4b8bbe5bc80e5b195e7bb8fe890a5e6b4bbe58aa8efbc89222c22636f6e74616374223a7b22706572736f6e223a22e7bd97e8b685e9a39e222c2270686f6e65223a223133343434383439373538227d2c22636f756e7479223a22343130313834222c22656d706c6f79656573223a3135302c2265737461626c69736865644f6e223a22323031392d30332d3238222c22696e647573747279223a224333343834222c226c6567616c526570726573656e746174697665223a22e6ada6e99baae6968c222c226e616d65223a22e98391e5b79ee6b0b8e59088e696b0e883bde6ba90e6b1bde8bda6e69c89e99990e585ace58fb8222c227264457870656e73655975616e223a3334383234322c22726567696f6e223a22343130313030222c22726567697374657265644361706974616c5975616e223a3530303030302c22726576656e75655975616e223a33303030303030302c2273697a65436c617373223a226d6963726f222c22737461747573223a22616374697665222c22737570706f72744d65617375726573223a5b5d2c227461785975616e223a3230303233392c22757064617465644174223a22323032342d31322d31305431373a35353a31352b30383a3030222c2275736363223a2239313431303138344d414b4e423437585847227d2c226f7574636f6d65223a22636f6e666c696374222c227265766973696f6e223a312c2275736363223a2239313431303138344d414b4e423437585847227d5d2c227265706c61796564223a66616c73657d',0,NULL);
CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL,
    region TEXT NOT NULL,
    field TEXT NOT NULL,
    kind TEXT NOT NULL,
    expected TEXT,
    current TEXT,
    incoming TEXT,
    source TEXT NOT NULL,
    changeset TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
, decision TEXT, value TEXT, note TEXT, resolved_by TEXT, resolved_at TEXT, revision INTEGER, reopened_from TEXT, request TEXT);
INSERT INTO conflicts VALUES(1,'91410184MAKNB47XXG','410100','employees','field','140','150','160','region:410100','cs-2','2026-03-22T11:00:00Z','open',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    region TEXT,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
, selector TEXT, public_key TEXT, chain_reset TEXT);
INSERT INTO tokens VALUES(1,'8c394551da8c97b6f6df522831bf7b882fdf0b9026f0cc22c6199efab888da6f','bureau','410100','bureau 410100','2026-03-01T07:00:00Z',NULL,NULL,NULL,NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES('seq',4);
CREATE TABLE held_changesets (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body BLOB NOT NULL,
    records INTEGER NOT NULL,
    affected INTEGER NOT NULL,
    region_records INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'held',
    decided_by TEXT,
    decided_at TEXT,
    note TEXT
);
CREATE TABLE moves (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL,
    from_region TEXT NOT NULL,
    to_region TEXT NOT NULL,
    seq INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    at TEXT NOT NULL,
    conflict INTEGER NOT NULL
);
CREATE TABLE region_activity (
    region TEXT PRIMARY KEY,
    last_push_at TEXT,
    last_push_changeset TEXT,
    last_push_records INTEGER,
    agent TEXT,
    last_pull_at TEXT,
    last_pull_cursor INTEGER
);
CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), last TEXT NOT NULL);
CREATE TABLE review_sessions (
    key TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    address TEXT,
    flash TEXT,
    flash_error INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE record_facts (
    uscc TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    name TEXT,
    size_class TEXT,
    status TEXT,
    industry TEXT,
    employees INTEGER,
    revenue_yuan INTEGER,
    above_since TEXT,
    srdi_year INTEGER,
    little_giant_year INTEGER,
    measures TEXT,
    revenue_warning INTEGER NOT NULL,
    size_warning INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO record_facts VALUES('91410183MAFRU6MM9L','410100',0,'郑州明泰药业有限公司','small','active','C3484',60,10000000,NULL,2026,NULL,'[{"amountYuan":300000,"date":"2026-03-15","measure":"贷款贴息"}]',0,0);
INSERT INTO record_facts VALUES('91410184MAKNB47XXG','410100',0,'郑州永合新能源汽车有限公司','micro','active','C3484',150,30000000,NULL,NULL,NULL,NULL,1,1);
INSERT INTO record_facts VALUES('91410212MA95G49704','410200',0,'开封盛益酒业有限公司','medium','closed','C3491',400,50000000,'2019-06',2021,2023,'[{"amountYuan":1000000,"date":"2025-05-20","measure":"技术改造补助"},{"amountYuan":200000,"date":"2026-01-10","measure":"贷款贴息"}]',0,0);
CREATE TABLE report_totals (
    region TEXT NOT NULL,
    size_class TEXT NOT NULL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL,
    above_scale INTEGER NOT NULL,
    srdi INTEGER NOT NULL,
    little_giant INTEGER NOT NULL,
    revenue_warnings INTEGER NOT NULL,
    size_warnings INTEGER NOT NULL,
    PRIMARY KEY (region, size_class, status)
) WITHOUT ROWID;
INSERT INTO report_totals VALUES('410100','micro','active',1,0,0,0,1,1);
INSERT INTO report_totals VALUES('410100','small','active',1,0,1,0,0,0);
INSERT INTO report_totals VALUES('410200','medium','closed',1,1,1,1,0,0);
CREATE TABLE measure_totals (
    region TEXT NOT NULL,
    measure TEXT NOT NULL,
    year TEXT NOT NULL,
    count INTEGER NOT NULL,
    amount_yuan INTEGER NOT NULL,
    PRIMARY KEY (region, measure, year)
) WITHOUT ROWID;
INSERT INTO measure_totals VALUES('410100','贷款贴息','2026',1,300000);
INSERT INTO measure_totals VALUES('410200','技术改造补助','2025',1,1000000);
INSERT INTO measure_totals VALUES('410200','贷款贴息','2026',1,200000);
CREATE TABLE client_certificates (
    fingerprint TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    not_after TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
, public_key TEXT, chain_reset TEXT);
CREATE TABLE changeset_chain (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    token INTEGER,
    received_at TEXT NOT NULL,
    hash TEXT NOT NULL,
    previous TEXT,
    signer TEXT,
    public_key TEXT,
    signature TEXT,
    signed BLOB,
    chain_start TEXT
, certificate TEXT);
CREATE TABLE store_epochs (
    region TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    handed_cursor INTEGER NOT NULL DEFAULT 0,
    last_changeset TEXT,
    last_changeset_sequence INTEGER NOT NULL DEFAULT 0,
    registered_at TEXT NOT NULL,
    last_seen_at TEXT,
    replaced TEXT
);
CREATE INDEX records_region_seq ON records(region, seq);
CREATE INDEX history_uscc ON history(uscc, revision);
CREATE INDEX conflicts_open ON conflicts(status, uscc, field);
CREATE INDEX conflicts_region ON conflicts(status, region);
CREATE INDEX moves_from_seq ON moves(from_region, seq);
CREATE INDEX changesets_region_time ON changesets(region, received_at);
CREATE INDEX records_region_live ON records(region, deleted);
CREATE INDEX conflicts_region_status ON conflicts(region, status);
CREATE UNIQUE INDEX tokens_selector ON tokens(selector);
CREATE TRIGGER record_facts_insert AFTER INSERT ON records BEGIN
    DELETE FROM record_facts WHERE uscc = NEW.uscc;
    INSERT INTO record_facts SELECT *,
        (revenue_yuan >= 20000000 AND (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')) AND above_since IS NULL) IS 1,
        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')))
         AND size_class <> CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
                                WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
                                WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
                                ELSE 'micro' END) IS 1
    FROM (SELECT
        NEW.uscc AS uscc, NEW.region AS region, NEW.deleted AS deleted,
        json_extract(NEW.doc, '$.name') AS name,
        json_extract(NEW.doc, '$.sizeClass') AS size_class,
        coalesce(json_extract(NEW.doc, '$.status'), 'active') AS status,
        json_extract(NEW.doc, '$.industry') AS industry,
        json_extract(NEW.doc, '$.employees') AS employees,
        json_extract(NEW.doc, '$.revenueYuan') AS revenue_yuan,
        json_extract(NEW.doc, '$.aboveDesignatedSize.since') AS above_since,
        json_extract(NEW.doc, '$.srdi.year') AS srdi_year,
        json_extract(NEW.doc, '$.littleGiant.year') AS little_giant_year,
        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END AS measures
        );
END;
CREATE TRIGGER record_facts_update AFTER UPDATE ON records BEGIN
    DELETE FROM record_facts WHERE uscc = NEW.uscc;
    INSERT INTO record_facts SELECT *,
        (revenue_yuan >= 20000000 AND (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')) AND above_since IS NULL) IS 1,
        (size_class IS NOT NULL AND employees IS NOT NULL AND revenue_yuan IS NOT NULL AND (industry IS NULL OR (industry IS NOT NULL AND substr(industry, 1, 1) IN ('B', 'C', 'D')))
         AND size_class <> CASE WHEN employees >= 1000 AND revenue_yuan >= 400000000 THEN 'large'
                                WHEN employees >= 300 AND revenue_yuan >= 20000000 THEN 'medium'
                                WHEN employees >= 20 AND revenue_yuan >= 3000000 THEN 'small'
                                ELSE 'micro' END) IS 1
    FROM (SELECT
        NEW.uscc AS uscc, NEW.region AS region, NEW.deleted AS deleted,
        json_extract(NEW.doc, '$.name') AS name,
        json_extract(NEW.doc, '$.sizeClass') AS size_class,
        coalesce(json_extract(NEW.doc, '$.status'), 'active') AS status,
        json_extract(NEW.doc, '$.industry') AS industry,
        json_extract(NEW.doc, '$.employees') AS employees,
        json_extract(NEW.doc, '$.revenueYuan') AS revenue_yuan,
        json_extract(NEW.doc, '$.aboveDesignatedSize.since') AS above_since,
        json_extract(NEW.doc, '$.srdi.year') AS srdi_year,
        json_extract(NEW.doc, '$.littleGiant.year') AS little_giant_year,
        CASE WHEN json_array_length(NEW.doc, '$.supportMeasures') > 0 THEN json_extract(NEW.doc, '$.supportMeasures') END AS measures
        );
END;
CREATE TRIGGER report_totals_add AFTER INSERT ON record_facts WHEN NEW.deleted = 0 BEGIN
    INSERT INTO report_totals VALUES (NEW.region, coalesce(NEW.size_class, ''), coalesce(NEW.status, ''), 1, NEW.above_since IS NOT NULL, NEW.srdi_year IS NOT NULL,
                                      NEW.little_giant_year IS NOT NULL, NEW.revenue_warning, NEW.size_warning)
    ON CONFLICT DO UPDATE SET records = records + 1, above_scale = above_scale + excluded.above_scale,
        srdi = srdi + excluded.srdi, little_giant = little_giant + excluded.little_giant,
        revenue_warnings = revenue_warnings + excluded.revenue_warnings, size_warnings = size_warnings + excluded.size_warnings;
    INSERT INTO measure_totals SELECT NEW.region, coalesce(json_extract(value, '$.measure'), ''), coalesce(substr(json_extract(value, '$.date'), 1, 4), ''),
           1, 1 * coalesce(json_extract(value, '$.amountYuan'), 0)
    FROM json_each(NEW.measures) WHERE true
    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan;
END;
CREATE TRIGGER report_totals_subtract AFTER DELETE ON record_facts WHEN OLD.deleted = 0 BEGIN
    UPDATE report_totals SET records = records - 1, above_scale = above_scale - (OLD.above_since IS NOT NULL),
        srdi = srdi - (OLD.srdi_year IS NOT NULL), little_giant = little_giant - (OLD.little_giant_year IS NOT NULL),
        revenue_warnings = revenue_warnings - OLD.revenue_warning, size_warnings = size_warnings - OLD.size_warning
    WHERE (region, size_class, status) = (OLD.region, coalesce(OLD.size_class, ''), coalesce(OLD.status, ''));
    INSERT INTO measure_totals SELECT OLD.region, coalesce(json_extract(value, '$.measure'), ''), coalesce(substr(json_extract(value, '$.date'), 1, 4), ''),
           -1, -1 * coalesce(json_extract(value, '$.amountYuan'), 0)
    FROM json_each(OLD.measures) WHERE true
    ON CONFLICT DO UPDATE SET count = count + excluded.count, amount_yuan = amount_yuan + excluded.amount_yuan;
END;
CREATE INDEX record_facts_srdi ON record_facts(srdi_year);
CREATE INDEX record_facts_little_giant ON record_facts(little_giant_year);
CREATE INDEX record_facts_above ON record_facts(above_since);
CREATE INDEX record_facts_warnings ON record_facts(region, uscc) WHERE deleted = 0 AND (revenue_warning OR size_warning);
CREATE INDEX changeset_chain_token ON changeset_chain(token, seq);
CREATE INDEX changeset_chain_region ON changeset_chain(region, seq);
CREATE INDEX changeset_chain_certificate ON changeset_chain(certificate, seq);
COMMIT;
